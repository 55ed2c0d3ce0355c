import template from './view.html';
import type { View } from '../core/view.js';

const MARKER = '/*AGENTSTATE_DATA*/null';

/**
 * The web view's one page. Served live it fetches /api/view and listens for changes; with a view
 * embedded (report --html) it is a static file that shows that view and needs no server.
 */
export function pageHtml(embedded?: View): string {
  // JSON inside <script>: no "<" may close the element early.
  const json = embedded ? JSON.stringify(embedded).replace(/</g, '\\u003c') : 'null';
  return template.replace(MARKER, () => json);
}
