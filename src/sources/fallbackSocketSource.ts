import { errorMessage } from '../model/errno.js';
import type { SocketSink } from '../model/socketRecord.js';
import type { SocketSource, SocketSourceName, WalkOptions, WalkReport } from './socketSource.js';

/**
 * A primary source with a per-walk fallback (netlink, then procfs): a walk whose primary fails,
 * at once or midway through, is done again by the fallback after `restart()` has undone what the
 * failed walk fed. Without `restart` the primary's error is thrown as it is (a walk cannot be
 * undone then). The report says when, and why, the fallback was used (`fellBack`).
 */
export class FallbackSocketSource implements SocketSource {
  readonly name: SocketSourceName;
  readonly reportsKernelDetail: boolean;

  constructor(
    readonly primary: SocketSource,
    readonly fallback: SocketSource,
  ) {
    this.name = primary.name;
    this.reportsKernelDetail = primary.reportsKernelDetail;
  }

  async walk(sink: SocketSink, restart?: () => void, options?: WalkOptions): Promise<WalkReport> {
    try {
      return await this.primary.walk(sink, restart, options);
    } catch (err) {
      if (!restart) throw err;
      restart();
      const report = await this.fallback.walk(sink, restart, options);
      return { ...report, fellBack: { source: report.fellBack?.source ?? this.fallback.name, primaryError: errorMessage(err) } };
    }
  }
}
