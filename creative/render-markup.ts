import type { Creative } from '../core/index.ts';

const CLICK_MACRO = /\{\{CLICK_URL\}\}/g;

function escapeAttr(url: string): string {
  return url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** The `adm` for a banner, video or audio creative: its markup with `{{CLICK_URL}}` set to the click URL (HTML/XML-escaped). */
export function renderMarkup(creative: Creative, clickUrl: string): string {
  const markup = creative.markup ?? '';
  return markup.includes('{{CLICK_URL}}') ? markup.replace(CLICK_MACRO, escapeAttr(clickUrl)) : markup;
}
