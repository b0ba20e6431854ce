/**
 * The simulated NVR's web port: Dahua CGI and Hikvision ISAPI behind HTTP Digest authentication,
 * plus the unauthenticated `/__sim/` control API.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { handleControlRequest } from './control-api.js';
import { sendDahuaError, sendText, type SimulatorContext } from './context.js';
import {
  handleGlobalCgi,
  handleLoadfileCgi,
  handleMagicBoxCgi,
  MediaFileFinder,
} from './dahua-cgi.js';
import type { DigestAuthenticator } from './digest-auth.js';
import { handleIsapiDeviceInfo, handleIsapiTime } from './isapi.js';
import { describeError, log } from './log.js';

export class NvrHttpServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly finder = new MediaFileFinder();

  constructor(
    private readonly context: SimulatorContext,
    private readonly authenticator: DigestAuthenticator,
  ) {
    this.server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        log('error', 'HTTP request failed', { url: request.url, error: describeError(error) });
        if (!response.headersSent) {
          sendText(response, 500, 'Internal simulator error.\n');
        } else {
          response.destroy();
        }
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Destroys every open connection except `keep` (the control request that switched offline on). */
  dropConnections(keep?: unknown): void {
    for (const socket of this.sockets) {
      if (socket !== keep) {
        socket.destroy();
      }
    }
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.dropConnections();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/__sim/')) {
      await handleControlRequest(this.context, request, response, url);
      return;
    }

    // Offline: the connection is accepted and dropped without a response. The control API above
    // stays reachable so a test can switch the device back on.
    if (this.context.state().offline) {
      request.socket.destroy();
      return;
    }

    const verdict = this.authenticator.verify(request.method ?? 'GET', request.url ?? '/', request.headers.authorization);
    if (verdict !== 'ok') {
      response.writeHead(401, {
        'WWW-Authenticate': this.authenticator.challenge(verdict === 'stale'),
        'Content-Type': 'text/plain; charset=utf-8',
      });
      response.end('Error\r\nInvalid Authority!\r\n');
      return;
    }

    await this.route(url, response);
  }

  private async route(url: URL, response: ServerResponse): Promise<void> {
    const { context } = this;
    switch (url.pathname) {
      case '/cgi-bin/global.cgi':
        handleGlobalCgi(context, url.searchParams, response);
        return;
      case '/cgi-bin/magicBox.cgi':
        handleMagicBoxCgi(context, url.searchParams, response);
        return;
      case '/cgi-bin/loadfile.cgi':
        await handleLoadfileCgi(context, url.searchParams, response);
        return;
      case '/cgi-bin/mediaFileFind.cgi':
        this.finder.handle(context, url.searchParams, response);
        return;
      case '/ISAPI/System/time':
        handleIsapiTime(context, response);
        return;
      case '/ISAPI/System/deviceInfo':
        handleIsapiDeviceInfo(context, response);
        return;
      default:
        sendDahuaError(response, 404, `Not Found! ${url.pathname} is not simulated.`);
    }
  }
}
