import path from 'node:path';

/**
 * Layout of files under the data folder. Archived sessions are never modified after the move into place;
 * work folders are scratch space that a job clears when it starts again.
 */
export class StorageLayout {
  constructor(readonly dataDir: string) {}

  /** Relative folder of one archived session: archive/<case id>/<session id>. */
  sessionArchiveDir(caseId: number, sessionId: number): string {
    return path.join('archive', String(caseId), String(sessionId));
  }

  workDir(name: string): string {
    return path.join(this.dataDir, 'work', name);
  }

  absolute(relativePath: string): string {
    const resolved = path.resolve(this.dataDir, relativePath);
    // Stored paths come from our own database, but refuse anything that escapes the data folder all the same.
    if (!resolved.startsWith(this.dataDir + path.sep)) throw new Error(`path escapes the data folder: ${relativePath}`);
    return resolved;
  }
}
