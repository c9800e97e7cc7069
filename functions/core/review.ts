/** Review states of a finding: new findings are `open`; a person acknowledges or resolves them. */
export const REVIEW_STATUSES = ['open', 'acked', 'resolved'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** The review command that moves a finding to each state. */
export const REVIEW_ACTIONS = { ack: 'acked', resolve: 'resolved', reopen: 'open' } as const satisfies Record<
  string,
  ReviewStatus
>;
export type ReviewAction = keyof typeof REVIEW_ACTIONS;

/** Who moved a finding to its state, when, and why (the last review only). */
export interface Review {
  status: ReviewStatus;
  reviewedBy: string;
  reviewedAt: string;
  reviewNote?: string;
}

/** Longest review note kept, in characters: the note is stored on the finding item. */
export const MAX_NOTE_CHARS = 2000;
