/** A raw AMI socket for tests that need the exact bytes the library would hide. */
import net from 'net';
import { parseFields } from './transcript';

export class RawAmi {
  readonly socket: net.Socket;
  buffer = '';
  closed = false;
  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => { this.buffer += d; });
    this.socket.on('close', () => { this.closed = true; });
    this.socket.on('error', () => undefined);
  }
  send(lines: string[] | string): void { this.socket.write(typeof lines === 'string' ? lines : lines.join('\r\n') + '\r\n\r\n'); }
  /** Complete messages received so far (after the banner line). */
  messages(): Array<Array<[string, string]>> {
    const body = this.buffer.replace(/^Asterisk Call Manager\/[^\r]*\r\n/, '');
    const parts = body.split('\r\n\r\n');
    parts.pop();
    return parts.map((p) => parseFields(p));
  }
  close(): void { this.socket.destroy(); }
}
