"""Sign-in and token forms (CSRF-protected by Flask-WTF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    """用户名 + 密码."""

    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名")), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=256)])


class TokenForm(FlaskForm):
    """A new API token's name."""

    name = StringField(_l("令牌名称"), validators=[DataRequired(_l("请输入令牌名称")), Length(max=64)])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token (for buttons that change state)."""
