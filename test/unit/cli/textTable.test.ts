import { describe, expect, it } from 'vitest';
import { renderTable } from '../../../src/cli/textTable.js';

describe('renderTable', () => {
  const rows = [
    ['CLOSE_WAIT', 120, 'nginx(812)'],
    ['ESTABLISHED', 7, 'postgres(4410)'],
  ];

  it('right-aligns number columns under a left-aligned first column', () => {
    expect(renderTable(['STATE', 'SOCKETS'], rows.map((r) => r.slice(0, 2)))).toBe(['STATE        SOCKETS', 'CLOSE_WAIT       120', 'ESTABLISHED        7'].join('\n'));
  });

  it('left-aligns a text column after the numbers, so names start in one column', () => {
    expect(renderTable(['STATE', 'SOCKETS', 'PROCESS'], rows, Infinity, 1, [2])).toBe(
      ['STATE        SOCKETS  PROCESS', 'CLOSE_WAIT       120  nginx(812)', 'ESTABLISHED        7  postgres(4410)'].join('\n'),
    );
  });

  it('cuts a line longer than the width with an ellipsis', () => {
    const lines = renderTable(['STATE', 'SOCKETS', 'PROCESS'], rows, 24, 1, [2]).split('\n');
    expect(lines.every((l) => l.length <= 24)).toBe(true);
    expect(lines[2]).toMatch(/…$/);
  });
});
