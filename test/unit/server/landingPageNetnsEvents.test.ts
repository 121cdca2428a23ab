import { describe, expect, it } from 'vitest';
import { renderLandingPage } from '../../../src/server/landingPage.js';
import type { Snapshot } from '../../../src/snapshot/snapshot.js';
import { BUILD_INFO } from '../../../src/version.js';

function snapshot(connectionEvents?: { read: number; unread: number; refused?: string }): Snapshot {
  return {
    sequence: 1,
    takenAtMs: 0,
    durationSeconds: 0.01,
    intervalSeconds: 15,
    data: { netns: { namespaces: [], found: 3, skipped: 0, failed: 0, unreadableProcesses: 0, ...(connectionEvents ? { connectionEvents } : {}) } },
    status: { netns: { success: true, durationSeconds: 0.01 } },
    stuckReads: [],
  };
}

describe('landing page line of the per-namespace closed connections', () => {
  it('says in how many collected namespaces they are counted, and why the others are not', () => {
    const page = renderLandingPage(BUILD_INFO, '/metrics', snapshot({ read: 1, unread: 2, refused: 'setns() refused: needs CAP_SYS_ADMIN' }));
    expect(page).toContain('<li>netns: closed connections counted in 1 of 3 collected network namespaces (the others are not read: setns() refused: needs CAP_SYS_ADMIN)</li>');
  });

  it('has no such line without --collector.connections', () => {
    expect(renderLandingPage(BUILD_INFO, '/metrics', snapshot())).not.toContain('closed connections counted');
  });
});
