-- Where Least can reach someone in Microsoft Teams without being spoken to first: the conversation
-- reference (service URL, conversation, bot and user ids) Teams gave us on install or first contact.
CREATE TABLE teams_conversations (
  -- `user:<Entra object id>` for a personal chat, `conversation:<id>` for a channel or group chat.
  key           text PRIMARY KEY,
  kind          text NOT NULL CHECK (kind IN ('personal', 'channel', 'groupChat')),
  aad_object_id text,
  -- The person's e-mail as Least identifies them (policy mapping or Teams roster), lower case.
  email         text,
  conversation_id text NOT NULL,
  reference     jsonb NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX teams_conversations_email ON teams_conversations (email) WHERE kind = 'personal';
