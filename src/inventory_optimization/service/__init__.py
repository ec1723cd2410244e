"""The forecasting and ordering service (FastAPI): ``inventory-optimization serve``.

``create_app(ServiceSettings(...))`` builds the app over one project environment: the champion
bundle, the latest panel, the daily run's forecast and plan and the positions it used, loaded
once through the Kedro catalog (``state``) and answered from; what-ifs re-solve the plan with
the replenishment node's function (``whatif``); new sales and stock go where the daily run
reads them (``writes``).
"""

from .app import API_KEY_ENV, API_KEY_HEADER, ServiceSettings, create_app

__all__ = ["API_KEY_ENV", "API_KEY_HEADER", "ServiceSettings", "create_app"]
