import { createHash } from 'node:crypto';

import { Worker } from 'node:worker_threads';

export interface FileHashes {
  sha256: string;
  sm3: string;
  size: number;
}

// Runs in a worker thread so SHA-256 and SM3 use both cores: SM3 in OpenSSL is several times slower than SHA-256.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { createReadStream } = require('node:fs');
const hash = createHash(workerData.algorithm);
let size = 0;
createReadStream(workerData.path, { highWaterMark: 1 << 20 })
  .on('data', (chunk) => { size += chunk.length; hash.update(chunk); })
  .on('error', (error) => { throw error; })
  .on('end', () => parentPort.postMessage({ digest: hash.digest('hex'), size }));
`;

function hashInWorker(path: string, algorithm: string, signal?: AbortSignal): Promise<{ digest: string; size: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, algorithm } });
    const onAbort = () => void worker.terminate();
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (message: { digest: string; size: number }) => resolve(message));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (code !== 0) reject(new Error(`hash worker for ${algorithm} exited with code ${code}`));
    });
  });
}

/** Computes SHA-256 and SM3 of a file in parallel; both read the same bytes, so the sizes must agree. */
export async function hashFile(path: string, signal?: AbortSignal): Promise<FileHashes> {
  const [sha256, sm3] = await Promise.all([hashInWorker(path, 'sha256', signal), hashInWorker(path, 'sm3', signal)]);
  if (sha256.size !== sm3.size) throw new Error(`file ${path} changed while it was hashed`);
  return { sha256: sha256.digest, sm3: sm3.digest, size: sha256.size };
}

/** Hashes a small in-memory buffer (manifest files). */
export function hashBuffer(data: Buffer): { sha256: string; sm3: string } {
  return { sha256: createHash('sha256').update(data).digest('hex'), sm3: createHash('sm3').update(data).digest('hex') };
}

