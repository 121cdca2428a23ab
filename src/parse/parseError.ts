/** A parse failure that carries the offending text, cut to a length fit for a log line. */
export class ParseError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly text: string,
  ) {
    super(`${file}: ${reason}: ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)}`);
    this.name = 'ParseError';
  }
}
