/**
 * The logging surface collectors and sources use: a pino Logger satisfies it, and tests pass a
 * recording one, so nothing below the server depends on pino.
 */
export interface Log {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type LogLevelName = keyof Log;
