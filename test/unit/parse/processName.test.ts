import { describe, expect, it } from 'vitest';
import { parseProcessName } from '../../../src/parse/processName.js';

const argv = (...args: string[]): Buffer => Buffer.from(args.map((a) => `${a}\0`).join(''));

describe('parseProcessName', () => {
  it.each([
    ['a comm is kept as it is', 'nginx\n', argv('nginx: worker process'), 'nginx'],
    ['a comm without its newline', 'postgres', undefined, 'postgres'],
    ['cmdline is not consulted for an ordinary comm', 'node\n', argv('/opt/app/bin/something-else'), 'node'],
    ['a title a Node.js service set itself (prctl)', 'orders-api\n', argv('orders-api'), 'orders-api'],
    ['Node.js >= 24, run as `node server.js`', 'MainThread\n', argv('node', 'server.js'), 'node'],
    ['Node.js >= 24, run by a path', 'MainThread\n', argv('/usr/local/bin/node', '--max-semi-space-size=1', 'dist/src/cli.js'), 'node'],
    ['a single-executable application, cut to 15 bytes like comm', 'MainThread\n', argv('/usr/bin/inventory-service-v2', '--port=80'), 'inventory-servi'],
    ['argv[0] without NUL (cut at the read limit)', 'MainThread\n', Buffer.from('/srv/bin/api'), 'api'],
    ['a zombie or kernel thread: empty cmdline, comm kept', 'MainThread\n', Buffer.alloc(0), 'MainThread'],
    ['argv[0] ending in a slash gives no name: comm kept', 'MainThread\n', argv('/weird/'), 'MainThread'],
    ['cmdline unreadable (the process exited): comm kept', 'MainThread\n', undefined, 'MainThread'],
    ['15 bytes, not 15 characters', 'MainThread\n', argv('/bin/données-clients'), 'données-client'],
    ['a character cut in two, as the kernel cuts comm (read back as U+FFFD)', 'MainThread\n', argv(`/bin/${'a'.repeat(14)}é`), `${'a'.repeat(14)}\uFFFD`],
  ])('%s', (_name, comm, cmdline, want) => {
    expect(parseProcessName(comm, cmdline)).toBe(want);
  });
});
