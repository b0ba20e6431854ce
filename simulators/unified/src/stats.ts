/** API request counts per route and response status, served by `GET /__sim/stats`. */
export interface RouteStats {
  count: number;
  /** Responses per status code, and per `aborted` for sockets that closed before the end. */
  statuses: Record<string, number>;
}

export class RequestStats {
  private routes: Record<string, RouteStats> = {};
  private total = 0;

  /** Counts a request on `route` and its outcome once the response closes. */
  track(route: string, response: { statusCode: number; writableFinished: boolean; once(event: 'close', listener: () => void): unknown }): void {
    this.total += 1;
    const stats = (this.routes[route] ??= { count: 0, statuses: {} });
    stats.count += 1;
    response.once('close', () => {
      const outcome = response.writableFinished ? String(response.statusCode) : 'aborted';
      stats.statuses[outcome] = (stats.statuses[outcome] ?? 0) + 1;
    });
  }

  snapshot(): { total: number; routes: Record<string, RouteStats> } {
    return { total: this.total, routes: structuredClone(this.routes) };
  }

  reset(): void {
    this.routes = {};
    this.total = 0;
  }
}
