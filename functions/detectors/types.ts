// The detector contract lives in core (imports point down); this re-export keeps detector files short.
export * from '../core/detector.ts';
