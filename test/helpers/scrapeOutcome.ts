import { request, type Agent } from 'node:http';

/** How one scrape ended. */
export interface Outcome {
  /** Whether a response (status line) arrived before anything went wrong. */
  started: boolean;
  status?: number;
  body?: string;
  error?: string;
}

/** One GET of `${url}/metrics` on a connection of its own (`agent` without keep-alive); resolves however it ends, never rejects. */
export function scrape(url: string, agent: Agent, onStart: () => void = () => undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    let started = false;
    const req = request(`${url}/metrics`, { agent }, (res) => {
      started = true;
      onStart();
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ started, status: res.statusCode!, body }));
      res.on('aborted', () => resolve({ started, error: 'aborted mid-response' }));
    });
    req.on('error', (err) => resolve({ started, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end();
  });
}
