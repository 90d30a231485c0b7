// Login: exchange username and password for a bearer token, keep it for this browser tab only.
const form = document.getElementById('login');
const error = document.getElementById('error');
const MESSAGES = {
  'auth.invalid_credentials': '用户名或密码错误',
  'auth.locked': '登录失败次数过多，请稍后再试',
  'request.invalid': '请填写用户名和密码',
};
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.textContent = '';
  const body = { username: form.username.value.trim(), password: form.password.value };
  try {
    const res = await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const data = await res.json();
    if (!res.ok) {
      error.textContent = MESSAGES[data.error && data.error.id] || '登录失败';
      return;
    }
    sessionStorage.setItem('hotline.token', data.token);
    sessionStorage.setItem('hotline.user', JSON.stringify(data.user));
    const roles = data.user.roles;
    location.href = roles.includes('supervisor') || roles.includes('admin') ? '/wallboard.html' : '/welcome.html';
  } catch (e) {
    error.textContent = '无法连接服务器';
  }
});
