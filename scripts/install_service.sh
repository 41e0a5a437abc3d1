#!/usr/bin/env bash
# Runs an installed 整改通 (deploy/install.sh into PREFIX) as a systemd service, with its own system
# user, data under /var/lib/zhenggaitong, logs under /var/log/zhenggaitong (rotated by logrotate) and
# settings in /etc/zhenggaitong/zhenggaitong.env.
#
#   sudo ZGT_WEB_USERS="admin:强密码" bash install_service.sh [--prefix /opt/zhenggaitong]
#        [--host 127.0.0.1] [--port 7860] [--user zhenggaitong] [--no-start]
#   bash install_service.sh --root /tmp/x …    # DESTDIR-style dry install: only writes files under /tmp/x
#
# Login is always on: even bound to 127.0.0.1 behind the organisation's reverse proxy, the app is reached
# from the network, and it cannot tell (every request comes from the proxy's loopback address). The
# password is read from the environment, never from the command line, where `ps` would show it.
# Running it again keeps an existing settings file (edit it, then systemctl restart zhenggaitong).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { printf '错误：%s\n' "$*" >&2; exit 1; }

ROOT=""
PREFIX=/opt/zhenggaitong
HOST=127.0.0.1
PORT=7860
SERVICE_USER=zhenggaitong
START=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root 需要参数}"; shift ;;
    --prefix) PREFIX="${2:?--prefix 需要参数}"; shift ;;
    --host) HOST="${2:?--host 需要参数}"; shift ;;
    --port) PORT="${2:?--port 需要参数}"; shift ;;
    --user) SERVICE_USER="${2:?--user 需要参数}"; shift ;;
    --no-start) START=0 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "未知参数：$1" ;;
  esac
  shift
done

# The templates: deploy/ beside scripts/ in the source tree, or beside this script in the bundle.
TEMPLATES=""
for d in "$HERE/deploy" "$HERE/../deploy"; do
  [ -f "$d/zhenggaitong.service" ] && TEMPLATES="$(cd "$d" && pwd)" && break
done
[ -n "$TEMPLATES" ] || die "找不到 zhenggaitong.service 模板（deploy/）。"

case "$PREFIX" in /*) ;; *) die "--prefix 必须是绝对路径：$PREFIX" ;; esac
PREFIX="${PREFIX%/}"
case "$PREFIX/" in
  /home/*|/root/*|/run/user/*) die "服务启用了 ProtectHome，无法读取 $PREFIX：请安装到 /opt 等目录。" ;;
esac
[ -x "$PREFIX/.venv/bin/zgt-web" ] || die "没有找到 $PREFIX/.venv/bin/zgt-web：请先用安装包的 install.sh 安装到 $PREFIX。"
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "端口无效：$PORT"
[[ "$SERVICE_USER" =~ ^[a-z_][a-z0-9_-]*$ ]] || die "用户名无效：$SERVICE_USER"
if [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then
  die "需要 root 权限（sudo）。只想查看会写入哪些文件，可用 --root /tmp/预览目录。"
fi

ENV_FILE="$ROOT/etc/zhenggaitong/zhenggaitong.env"
USERS="${ZGT_WEB_USERS:-}"
if [ ! -f "$ENV_FILE" ]; then
  [ -n "$USERS" ] || die "作为服务运行必须开启登录：请设置 ZGT_WEB_USERS=\"用户名:密码\"（多个用逗号分隔）后再运行。" \
    "即使只监听 127.0.0.1，经反向代理访问的用户也来自网络。"
  case "$USERS" in *'"'*|*'\'*|*'$'*|*'`'*) die "ZGT_WEB_USERS 中不能含有 \" \\ \$ \` 字符。" ;; esac
  [[ "$USERS" == *:* ]] || die "ZGT_WEB_USERS 格式应为 用户名:密码"
fi

mkdir -p "$ROOT/etc/systemd/system" "$ROOT/etc/logrotate.d" "$ROOT/etc/zhenggaitong"
fill() { sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@USER@|$SERVICE_USER|g" "$1"; }
UNIT="$ROOT/etc/systemd/system/zhenggaitong.service"
fill "$TEMPLATES/zhenggaitong.service" >"$UNIT"
chmod 0644 "$UNIT"
fill "$TEMPLATES/zhenggaitong.logrotate" >"$ROOT/etc/logrotate.d/zhenggaitong"
chmod 0644 "$ROOT/etc/logrotate.d/zhenggaitong"
if [ -f "$ENV_FILE" ]; then
  echo "保留已有设置：$ENV_FILE"
else
  # Read by systemd (as root) only: 0600, so the login passwords are not readable by other users.
  (umask 077 && cat >"$ENV_FILE" <<EOT
# 整改通服务的设置（ZGT_* 变量，说明见 README“配置”一节）。修改后：systemctl restart zhenggaitong
ZGT_WEB_HOST=$HOST
ZGT_WEB_PORT=$PORT
ZGT_WEB_USERS="$USERS"
ZGT_DOCS_DIR=$PREFIX/docs
ZGT_INDEX_DIR=/var/lib/zhenggaitong/index
ZGT_UPLOADS_DIR=/var/lib/zhenggaitong/uploads
ZGT_TRASH_DIR=/var/lib/zhenggaitong/trash
ZGT_HISTORY_DIR=/var/lib/zhenggaitong/history
EOT
  )
  echo "已写入设置：$ENV_FILE（监听 $HOST:$PORT，已开启登录）"
fi

# The data folders exist before the first start: ExecStartPre indexes ZGT_UPLOADS_DIR.
for d in var/lib/zhenggaitong/index var/lib/zhenggaitong/uploads var/lib/zhenggaitong/trash var/lib/zhenggaitong/history \
         var/log/zhenggaitong var/cache/zhenggaitong; do
  mkdir -p "$ROOT/$d"
done

if command -v systemd-analyze >/dev/null 2>&1; then
  # Unit syntax, directives and the executables it names. A misspelt or invalid directive is only a
  # warning to systemd (exit 0, the line ignored), which would silently drop a hardening setting:
  # any output at all counts as a failure.
  out="$(systemd-analyze verify "$UNIT" 2>&1)" && status=0 || status=$?
  if [ "$status" != 0 ] || [ -n "$out" ]; then
    printf '%s\n' "$out" >&2
    die "systemd-analyze verify 未通过：$UNIT"
  fi
fi

if [ -n "$ROOT" ]; then
  echo "预览安装完成（--root $ROOT）：未创建用户，未启动服务。"
  exit 0
fi

if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
  nologin="$(command -v nologin || echo /usr/sbin/nologin)"
  useradd --system --user-group --home-dir /var/lib/zhenggaitong --no-create-home --shell "$nologin" "$SERVICE_USER"
  echo "已创建系统用户 $SERVICE_USER"
fi
chown -R "$SERVICE_USER:$SERVICE_USER" /var/lib/zhenggaitong /var/log/zhenggaitong /var/cache/zhenggaitong
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload
  if [ "$START" = 1 ]; then
    systemctl enable --now zhenggaitong
    echo "服务已启动：systemctl status zhenggaitong；日志：/var/log/zhenggaitong/zhenggaitong.log"
  else
    systemctl enable zhenggaitong
    echo "服务已启用（未启动）：systemctl start zhenggaitong"
  fi
else
  echo "systemd 未运行：文件已写好，未启动服务。在 systemd 系统上：systemctl daemon-reload && systemctl enable --now zhenggaitong"
fi
