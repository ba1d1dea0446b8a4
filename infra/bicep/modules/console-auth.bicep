// Optional App Service Authentication ("Easy Auth") with Microsoft Entra ID in front of the web console
// (/api/ui/) and the management API: a browser signs in, other callers without a session get 401.
// The agents' ingest routes (per-VM ingest tokens) and health stay reachable without a sign-in; they are
// listed in excludedPaths. Function keys still apply behind it (authLevel function), so a journal query
// on an excluded path still needs the key. Nothing is deployed while clientId is empty (the default).

@description('Required. Name of the function app.')
param functionAppName string

@description('Required. Application (client) ID of the Entra ID app registration users sign in to; empty turns sign-in off.')
@maxLength(36)
param clientId string

@description('Optional. Entra ID tenant of the app registration; empty uses the deployment tenant.')
param tenantId string = ''

@description('Optional. Paths reachable without a sign-in: the agents\' ingest routes and health.')
param excludedPaths array = [
  '/api/health'
  '/api/ingest/*'
  '/api/vms/*/journal'
]

var effectiveTenantId = empty(tenantId) ? tenant().tenantId : tenantId

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(clientId)) {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: excludedPaths
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: clientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${effectiveTenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${clientId}'
            clientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: true
      }
    }
    httpSettings: {
      requireHttps: true
    }
  }
}
