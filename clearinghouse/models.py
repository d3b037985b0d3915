"""Every domain's tables, imported in one place so the mappers are complete before the first query.

`create_app` and the migrations import this module; nothing else needs to.
"""

from clearinghouse.accounts import models as accounts_models
from clearinghouse.agreements import models as agreements_models
from clearinghouse.audit import models as audit_models
from clearinghouse.declarations import models as declarations_models
from clearinghouse.destruction import models as destruction_models
from clearinghouse.directory import models as directory_models
from clearinghouse.imports import models as imports_models
from clearinghouse.intake import models as intake_models
from clearinghouse.notices import models as notices_models
from clearinghouse.settings import models as settings_models
from clearinghouse.storage import StoredFile
from clearinghouse.subscriptions import models as subscriptions_models
from clearinghouse.throttle import ThrottleHit

DOMAIN_MODELS = (
    accounts_models,
    agreements_models,
    audit_models,
    declarations_models,
    destruction_models,
    directory_models,
    imports_models,
    intake_models,
    notices_models,
    settings_models,
    subscriptions_models,
)

__all__ = ["DOMAIN_MODELS", "StoredFile", "ThrottleHit"]
