/**
 * TCP proxy in front of the GStreamer RTSP server, so the `offline` and `slowBytesPerSec` switches
 * apply to RTSP as well. Only TCP-interleaved RTSP is offered, so all media passes through here.
 */
import net from 'node:net';

import { log } from './log.js';
import type { SimState } from './sim-state.js';
import { createThrottle } from './throttle.js';

export class RtspProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly upstreamPort: number,
    private readonly readState: () => SimState,
  ) {}

  async listen(port: number): Promise<number> {
    const server = net.createServer((client) => this.handleConnection(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  /** Destroys every open RTSP connection, as a device that drops off the network would. */
  dropConnections(): void {
    for (const socket of this.sockets) {
      socket.destroy();
    }
  }

  async close(): Promise<void> {
    this.dropConnections();
    const server = this.server;
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private handleConnection(client: net.Socket): void {
    if (this.readState().offline) {
      client.destroy();
      return;
    }

    const upstream = net.connect(this.upstreamPort, '127.0.0.1');
    const throttle = createThrottle(() => this.readState().slowBytesPerSec);
    this.track(client);
    this.track(upstream);

    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
      throttle.destroy();
    };
    client.on('error', closeBoth);
    upstream.on('error', (error) => {
      log('warn', 'RTSP proxy lost the upstream connection', { error: error.message });
      closeBoth();
    });
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);

    client.pipe(upstream);
    upstream.pipe(throttle).pipe(client);
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}
