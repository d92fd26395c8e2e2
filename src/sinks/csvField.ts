/** A CSV field, quoted (with doubled quotes) only when it holds a comma, a quote or a newline. */
export const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
