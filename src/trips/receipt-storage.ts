import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { tripsConfig } from '../config/trips.config';

/** Where receipt files live. Swap the provider for an object store; keys are server-generated. */
export abstract class ReceiptStorage {
  abstract put(key: string, body: Buffer): Promise<void>;
  /** null when there is no such file. */
  abstract get(key: string): Promise<Buffer | null>;
  abstract remove(key: string): Promise<void>;
}

@Injectable()
export class DiskReceiptStorage extends ReceiptStorage {
  private readonly root: string;

  constructor(@Inject(tripsConfig.KEY) config: ConfigType<typeof tripsConfig>) {
    super();
    this.root = resolve(config.uploadDir);
  }

  async put(key: string, body: Buffer): Promise<void> {
    const file = this.path(key);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, body, { mode: 0o600 });
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.path(key));
    } catch {
      return null;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  /** Keys never leave the upload dir, whatever they contain. */
  private path(key: string): string {
    const file = resolve(join(this.root, key));
    if (!file.startsWith(this.root + sep)) throw new Error(`receipt key outside the upload dir: ${key}`);
    return file;
  }
}
