// A parser for the text/event-stream format (HTML Living Standard, "Server-sent events",
// interpreting an event stream): feed it text as it arrives, in chunks of any size; it calls
// onEvent({id, event, data}) once per complete event. Lines end in \n, \r\n or \r; a line starting
// with ':' is a comment; "data" lines of one event are joined with \n; an event without data is not
// dispatched; "id" persists from event to event, as EventSource's lastEventId does.
export class SseParser {
  constructor(onEvent, onRetry = () => {}) {
    this.onEvent = onEvent;
    this.onRetry = onRetry;
    this.buffer = '';
    this.data = [];
    this.event = '';
    this.lastId = null;
    this.pendingCr = false;
  }

  push(text) {
    let chunk = text;
    if (this.pendingCr && chunk.startsWith('\n')) chunk = chunk.slice(1); // the \n of a \r\n split across chunks
    this.pendingCr = false;
    this.buffer += chunk;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop(); // the unfinished last line
    if (this.buffer === '' && chunk.endsWith('\r')) this.pendingCr = true;
    for (const line of lines) this.line(line);
  }

  line(line) {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data': this.data.push(value); break;
      case 'event': this.event = value; break;
      case 'id': if (!value.includes('\0')) this.lastId = value; break;
      case 'retry': if (/^\d+$/.test(value)) this.onRetry(Number(value)); break;
      default: break; // unknown fields are ignored
    }
  }

  dispatch() {
    if (this.data.length) this.onEvent({ id: this.lastId, event: this.event || 'message', data: this.data.join('\n') });
    this.data = [];
    this.event = '';
  }
}
