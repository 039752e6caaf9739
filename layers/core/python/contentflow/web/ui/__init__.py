"""The admin pages under /ui: server-rendered, usable without JavaScript, behind a session cookie."""
