-- Each user's language in the console: English or Simplified Chinese.
ALTER TABLE itinera.users ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'zh'));
