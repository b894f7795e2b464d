// The WebSocket client: one connection, subscriptions by execution or job, reconnection with
// the same subscriptions, and a snapshot on every (re)subscribe.

export class Live {
  constructor(onMessage, onState) {
    this.onMessage = onMessage;
    this.onState = onState || (() => {});
    this.subs = new Set();
    this.closed = false;
    this.lastSeq = new Map();
    this.connect();
  }

  connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    this.ws = new WebSocket(`${proto}//${location.host}/ws`);
    this.ws.onopen = () => {
      this.onState("live");
      for (const key of this.subs) this.send(JSON.parse(key));
    };
    this.ws.onmessage = (e) => {
      let msg;
      try { msg = JSON.parse(e.data); } catch (_) { return; }
      if (msg.type === "event" && msg.event.type !== "frame") {
        const last = this.lastSeq.get(msg.execution_id) || 0;
        if (msg.seq <= last) return; // already in the snapshot
        this.lastSeq.set(msg.execution_id, msg.seq);
      } else if (msg.type === "snapshot" && msg.execution_id) {
        this.lastSeq.set(msg.execution_id, msg.seq);
      }
      this.onMessage(msg);
    };
    this.ws.onclose = () => {
      if (this.closed) return;
      this.onState("reconnecting…");
      setTimeout(() => { if (!this.closed) this.connect(); }, 1000);
    };
  }

  send(msg) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  subscribe(what) {
    const msg = { type: "subscribe", ...what };
    this.subs.add(JSON.stringify(msg));
    this.send(msg);
  }

  unsubscribe(what) {
    this.subs.delete(JSON.stringify({ type: "subscribe", ...what }));
    this.send({ type: "unsubscribe", ...what });
  }

  close() {
    this.closed = true;
    this.ws.close();
  }
}
