import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/config.js';
import { CLI } from '../../helpers/paths.js';

describe('series flags', () => {
  it('default to folding the ephemeral range, admission after 4 cycles and keep for 40', () => {
    const { config } = parseCommandLine([]);
    expect(config.portLimits.ephemeralPorts).toBe('fold');
    expect(config.seriesHysteresis).toEqual({ admitCycles: 4, keepCycles: 40 });
  });

  it('take ports by number and other cycle counts, 0 included', () => {
    const { config } = parseCommandLine(['--collector.ports.ephemeral-by-number', '--collector.series.admit-cycles=0', '--collector.series.keep-cycles=0']);
    expect(config.portLimits.ephemeralPorts).toBe('number');
    expect(config.seriesHysteresis).toEqual({ admitCycles: 0, keepCycles: 0 });
  });

  it.each([['--collector.series.admit-cycles=soon'], ['--collector.series.keep-cycles=-1']])('%s -> exit 2 with the flag named', (arg) => {
    const r = spawnSync(process.execPath, [CLI, arg], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(arg.slice(0, arg.indexOf('=')));
  });

  it('are listed by --help', () => {
    const r = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8', timeout: 20_000 });
    for (const flag of ['--collector.ports.ephemeral-by-number', '--collector.series.admit-cycles', '--collector.series.keep-cycles']) expect(r.stdout).toContain(flag);
  });
});
