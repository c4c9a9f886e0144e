// The tool version, stamped into generated files' provenance banners.
export const VERSION = '0.1.0';
