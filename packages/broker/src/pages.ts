/** The pages a person sees at the broker after Monzo's login page. */
export function page(title: string, message: string, ok: boolean): string {
  const esc = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#112}h1{color:${ok ? "#14233c" : "#b3261e"}}</style></head><body><h1 id="result">${esc(title)}</h1><p>${esc(message)}</p></body></html>`;
}
