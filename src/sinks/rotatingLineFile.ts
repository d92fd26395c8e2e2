import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/**
 * An append-only text file for long runs, rotated by size: past `maxBytes` the file becomes `<path>.1`
 * (`.1` becomes `.2`, ... up to `keep`; older ones are removed) and a new file starts with `header`.
 * Lines are written whole, synchronously, so a crash loses at most the line being written. Plain text in,
 * nothing about what the lines mean.
 */
export class RotatingLineFile {
  private fd: number;
  private size: number;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly keep: number,
    private readonly header?: string,
  ) {
    this.fd = openSync(path, 'a');
    this.size = fstatSync(this.fd).size;
    if (this.size === 0 && header) this.append(header);
  }

  /** Appends lines (each without its newline). */
  write(lines: string[]): void {
    if (lines.length === 0) return;
    if (this.size >= this.maxBytes) this.rotate();
    this.append(lines.join('\n'));
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  private append(text: string): void {
    const data = Buffer.from(text + '\n');
    writeSync(this.fd, data);
    this.size += data.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    if (this.keep === 0) rmSync(this.path, { force: true });
    else {
      rmSync(`${this.path}.${this.keep}`, { force: true });
      for (let i = this.keep - 1; i >= 1; i--)
        if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      renameSync(this.path, `${this.path}.1`);
    }
    this.fd = openSync(this.path, 'a');
    this.size = 0;
    if (this.header) this.append(this.header);
  }
}
