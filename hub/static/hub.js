// Progressive enhancement only: every hub page works without JavaScript.
// Loaded as an ES module from base.html (no inline script: the CSP is script-src 'self').
// Module scripts only run in browsers the NHS.UK frontend supports, so this sets the classes
// its template's inline snippet would set, then starts its components (header menu, error
// summary focus, character counts, buttons, radios and checkboxes).
import { initAll } from './nhsuk/nhsuk-frontend.min.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()
