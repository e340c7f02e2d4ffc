// Stand-in bundle: tells Telegram the mini-app is ready.
window.Telegram?.WebApp?.ready();
