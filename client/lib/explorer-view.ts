/** What the event explorer shows, kept in its query string: `?q=<id>&subject=order.created&history=500&order=oldest`. */
export const HISTORY_CHOICES = ['100', '500', '2000', 'all'] as const;
export type History = (typeof HISTORY_CHOICES)[number];
export const DEFAULT_HISTORY: History = '500';

export type ExplorerView = {
  /** An order, ticket or payment id (or any text): matched anywhere in the payload and ids. */
  text: string;
  /** One subject, `deadletter` for every dead letter, or '' for all. */
  subject: string;
  /** How many past events to load before following live ones. */
  history: History;
  order: 'newest' | 'oldest';
};

type Query = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export function viewFromQuery(query: Query): ExplorerView {
  const history = one(query.history);
  return {
    text: one(query.q) ?? '',
    subject: one(query.subject) ?? '',
    history: HISTORY_CHOICES.find((h) => h === history) ?? DEFAULT_HISTORY,
    order: one(query.order) === 'oldest' ? 'oldest' : 'newest',
  };
}

export function queryFromView(view: ExplorerView): string {
  const params = new URLSearchParams();
  if (view.text.trim()) params.set('q', view.text.trim());
  if (view.subject) params.set('subject', view.subject);
  if (view.history !== DEFAULT_HISTORY) params.set('history', view.history);
  if (view.order !== 'newest') params.set('order', view.order);
  return params.toString();
}
