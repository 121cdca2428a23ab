/**
 * The logging surface collectors and sources use. A pino Logger satisfies it; the collection
 * worker implements it by posting records to the main thread, so the worker does not load pino.
 */
export interface Log {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type LogLevelName = keyof Log;
