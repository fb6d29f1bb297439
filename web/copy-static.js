// Copies the web client's static files next to its compiled modules (dist/web), run by `npm run build`.
const { cpSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const out = join(__dirname, '..', 'dist', 'web');
mkdirSync(out, { recursive: true });
for (const file of ['index.html', 'styles.css', 'icon.svg']) cpSync(join(__dirname, file), join(out, file));
