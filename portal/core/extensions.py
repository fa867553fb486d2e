"""Flask extensions, created unbound here and bound to the app in `create_app`."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from portal.core.security.crypto import lookup_hash

# Named constraints so that migrations can drop and alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()


def client_key() -> str:
    """The rate-limit key of the current request: an HMAC-SHA256 of the client address.

    Never the address itself: the limiter's storage (Redis in production) would otherwise hold
    client addresses next to the times of tips (docs/threat-model.md#identifying-a-tipster). The address
    is `request.remote_addr`, which ProxyFix (TRUSTED_PROXY_COUNT) takes from X-Forwarded-For only
    for the configured number of trusted proxies.
    """
    return lookup_hash(get_remote_address() or "unknown", "rate-limit")


limiter = Limiter(key_func=client_key, default_limits=[])


def _public_post_limit() -> str:
    from flask import current_app

    return current_app.config["SETTINGS"].ratelimit_public_post


# One budget per client address across every public form submission (tips, status, sampling),
# so that spreading a flood over several forms does not multiply the allowance.
public_post_limit = limiter.shared_limit(_public_post_limit, scope="public-post", methods=["POST"])
