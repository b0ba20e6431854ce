import { buildApp } from './app.js';
import { loadConfig } from './config/config.js';

/** Starts the server, and closes it cleanly on SIGINT/SIGTERM so running jobs are handed back to the queue. */
async function main(): Promise<void> {
  const config = loadConfig();
  const app = await buildApp(config);

  let isClosing = false;
  const close = async (signal: string) => {
    if (isClosing) return;
    isClosing = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void close('SIGINT'));
  process.on('SIGTERM', () => void close('SIGTERM'));

  await app.listen({ host: config.host, port: config.port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
