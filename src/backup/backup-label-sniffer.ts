import { extract } from 'tar-stream';

/**
 * Finds the `backup_label` (and `tablespace_map`) entries at the start of the base archive when
 * the archive is stored compressed rather than unpacked: it parses the uncompressed bytes fed to
 * it until both files (always the first entries PostgreSQL sends) were seen, then stops reading.
 */
export class BackupLabelSniffer {
  readonly #parser = extract();
  #label: string | undefined;
  #tablespaceMap: string | undefined;
  #finished = false;

  constructor() {
    this.#parser.on('entry', (header, stream, next) => {
      if (header.name !== 'backup_label' && header.name !== 'tablespace_map') {
        this.#finish();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        if (header.name === 'backup_label') this.#label = Buffer.concat(chunks).toString('utf8');
        else this.#tablespaceMap = Buffer.concat(chunks).toString('utf8');
        next();
      });
    });
    this.#parser.on('error', () => this.#finish());
  }

  /** True once there is nothing more to learn: feeding can stop. */
  get finished(): boolean {
    return this.#finished;
  }

  /** The backup_label content, once seen. */
  get label(): string | undefined {
    return this.#label;
  }

  /** The tablespace_map content, if the archive has one. */
  get tablespaceMap(): string | undefined {
    return this.#tablespaceMap;
  }

  /** Feeds uncompressed archive bytes (ignored once finished). */
  feed(chunk: Buffer): void {
    if (!this.#finished) this.#parser.write(chunk);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#parser.destroy();
  }
}
