import { Injectable } from '@nestjs/common';
import type { StoredEvent } from '../events/stored-event';

/** Turns stored events of some types into what is sent, a page at a time (e.g. signs receipt links). */
export type FrameRenderer = (events: StoredEvent[]) => Promise<StoredEvent[]>;

/**
 * The log keeps references, never expiring secrets: a feature whose payload needs one at
 * send time (a signed receipt link) registers a renderer for its event types, and every
 * page read for delivery or replay goes through it.
 */
@Injectable()
export class FrameRenderers {
  private readonly byType = new Map<string, FrameRenderer>();

  register(types: string[], renderer: FrameRenderer): void {
    for (const type of types) this.byType.set(type, renderer);
  }

  async render(events: StoredEvent[]): Promise<StoredEvent[]> {
    const groups = new Map<FrameRenderer, StoredEvent[]>();
    for (const event of events) {
      const renderer = this.byType.get(event.type);
      if (renderer) groups.set(renderer, [...(groups.get(renderer) ?? []), event]);
    }
    if (groups.size === 0) return events;
    const rendered = new Map<number, StoredEvent>();
    for (const [renderer, group] of groups) {
      for (const event of await renderer(group)) rendered.set(event.seq, event);
    }
    return events.map((event) => rendered.get(event.seq) ?? event);
  }
}
