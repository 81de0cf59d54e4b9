/** Live WebSocket connections per user and per browser session; pushes JSON frames to them. */
export interface Socket {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

interface Conn {
  socket: Socket;
  sessionId: string;
}

export class Hub {
  private readonly byUser = new Map<string, Set<Conn>>();

  add(userId: string, sessionId: string, socket: Socket): () => void {
    const conn: Conn = { socket, sessionId };
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(conn);
    return () => {
      set.delete(conn);
      if (set.size === 0) this.byUser.delete(userId);
    };
  }

  push(userIds: Iterable<string>, frame: object): void {
    const data = JSON.stringify(frame);
    for (const u of new Set(userIds))
      for (const c of this.byUser.get(u) ?? []) if (c.socket.readyState === 1) c.socket.send(data);
  }

  /** Tells the sessions they ended, then closes them. */
  endSessions(userId: string, sessionIds: string[], reason: string): void {
    const ids = new Set(sessionIds);
    for (const c of this.byUser.get(userId) ?? []) {
      if (!ids.has(c.sessionId)) continue;
      if (c.socket.readyState === 1) c.socket.send(JSON.stringify({ type: 'signed_out', reason }));
      c.socket.close(4001, reason);
    }
  }

  online(userId: string): boolean {
    return (this.byUser.get(userId)?.size ?? 0) > 0;
  }

  closeAll(): void {
    for (const set of this.byUser.values()) for (const c of set) c.socket.close(1001, 'server stopping');
    this.byUser.clear();
  }
}
