/** A GUID as Microsoft writes them (Entra tenant, app and object ids, Azure subscription and role ids). */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
