// GOV.UK Frontend's components style themselves only when JavaScript runs (kept out of the page: the CSP allows no inline script).
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
