import { z } from 'zod';

// zod would build each object schema a parser with `new Function` on its first parse. A run
// parses the answers once or twice, and code made that way is compiled afresh on every start (no
// code cache keeps it), so it costs more than it saves: the schemas parse without it.
z.config({ jitless: true });

export { z };
