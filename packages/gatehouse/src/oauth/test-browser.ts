/** Test-only: the simulator's HTTP browser under the name the OAuth tests use. */
export { readForm, WebBrowser as TestBrowser } from '../sim/web-browser.ts';
