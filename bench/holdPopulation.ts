/**
 * Holds a socket population until stdin closes or SIGTERM, for tests and the benchmark's
 * generator (several of these in a network namespace make a table larger than one process's
 * file limit allows).
 *   node dist/bench/holdPopulation.js '{"pairs":1000,"timeWait":500,"halfClosed":100,"host":"127.0.0.1"}'
 * Prints one JSON line {"ready":true} once every socket is in place.
 */
import { LivePopulation, type PopulationSpec } from './livePopulation.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as Partial<PopulationSpec>;
const pop = await LivePopulation.create(spec);
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
const stop = (): void => {
  void pop.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.stdin.on('end', stop).resume();
