import { z } from 'zod';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';

// Done once, here, so every schema in the project can carry OpenAPI metadata (`.openapi(...)`).
extendZodWithOpenApi(z);

export { z };
