-- Subscriptions may ask for monthly or yearly summaries besides weekly ones. Existing codes and
-- subscriptions stay weekly. `summary_runs.week` then holds the period's label (2026-W47,
-- 2026-10, 2026), which never collide.

ALTER TABLE subscription_codes ADD COLUMN period TEXT NOT NULL DEFAULT 'week';
ALTER TABLE subscriptions ADD COLUMN period TEXT NOT NULL DEFAULT 'week';
