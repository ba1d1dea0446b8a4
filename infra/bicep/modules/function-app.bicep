// The Flex Consumption function app (Linux, Node) with its plan and every app setting that
// lib/config.ts reads on Azure. Storage is reached with the user-assigned identity only.
// Flex takes the runtime from functionAppConfig: FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION
// and WEBSITE_RUN_FROM_PACKAGE are not allowed as app settings there.

@description('Required. Globally unique name of the function app.')
param name string

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Required. Azure region of the plan and app.')
param location string

@description('Required. Resource id of the user-assigned managed identity the app runs as.')
param identityResourceId string

@description('Required. Client id of that identity.')
param identityClientId string

@description('Required. Name of the storage account behind AzureWebJobsStorage (identity-based).')
param storageAccountName string

@description('Required. Blob endpoint of that account, ending in a slash.')
param storageBlobEndpoint string

@description('Required. Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Required. Name of the Application Insights component the app reports to.')
param applicationInsightsName string

@description('Optional. Node.js major version of the function app: 22 (Node 20 reached end of life on 2026-04-30).')
@allowed([
  '22'
])
param nodeVersion string = '22'

@description('Optional. Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Maximum number of instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Required. Subscription the VMs are created in (AZURE_SUBSCRIPTION_ID).')
param vmSubscriptionId string

@description('Required. Default Azure region for new VMs (VM_DEFAULT_REGION).')
param vmDefaultRegion string

@description('Required. Prefix of the resource group created for each VM (VM_RESOURCE_GROUP_PREFIX).')
param vmResourceGroupPrefix string

@description('Optional. CIDR allowed to reach VMs over SSH; empty opens no SSH port (VM_SSH_SOURCE_CIDR).')
param vmSshSourceCidr string = ''

@description('Optional. SSH public key used when a create request has none (VM_DEFAULT_SSH_PUBLIC_KEY).')
param vmDefaultSshPublicKey string = ''

@description('Optional. Base URL VM agents reach the app at; empty uses the app\'s default host name (PUBLIC_BASE_URL).')
param publicBaseUrl string = ''

@description('Required. Storage queue the HTTP functions put VM commands on (COMMAND_QUEUE_NAME).')
param commandQueueName string

@description('Required. Days journal entries are kept (JOURNAL_RETENTION_DAYS).')
@minValue(1)
@maxValue(3650)
param journalRetentionDays int

@description('Required. Days lifecycle events are kept (EVENTS_RETENTION_DAYS).')
@minValue(1)
@maxValue(3650)
param eventsRetentionDays int

@description('Optional. Tags applied to the plan and app; the app also gets the azd service tag.')
param tags object = {}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // Identity-based host storage (also used by Durable and by lib/storage.ts).
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      AZURE_CLIENT_ID: identityClientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      // The Node.js worker's heap cap (Linux spelling of languageWorkers:node:arguments). Uncapped, V8
      // lets the garbage of a long ingest stream pile up (~0.8 GiB before it collected, see
      // lib/journal/README.md); near the cap it collects sooner. Half the instance: the rest holds the
      // Functions host, the worker's memory outside the old generation (new space, code, Buffers) and
      // the OS. The app's live data is ≤ ~50 MiB per streaming request (one entry's text ≤ 32 MiB, one
      // 8 MiB batch), so even 256 MiB (512 MB instances) holds several at once. The local runtime reads
      // the same setting for its app thread (local/host/app-thread.ts).
      languageWorkers__node__arguments: '--max-old-space-size=${instanceMemoryMB / 2}'
      // lib/config.ts
      AZURE_SUBSCRIPTION_ID: vmSubscriptionId
      PUBLIC_BASE_URL: empty(publicBaseUrl) ? 'https://${app.properties.defaultHostName}' : publicBaseUrl
      VM_DEFAULT_REGION: vmDefaultRegion
      VM_RESOURCE_GROUP_PREFIX: vmResourceGroupPrefix
      VM_SSH_SOURCE_CIDR: vmSshSourceCidr
      VM_DEFAULT_SSH_PUBLIC_KEY: vmDefaultSshPublicKey
      COMMAND_QUEUE_NAME: commandQueueName
      JOURNAL_RETENTION_DAYS: string(journalRetentionDays)
      EVENTS_RETENTION_DAYS: string(eventsRetentionDays)
    }
  }
}

@description('Name of the function app.')
output name string = app.name

@description('Default host name of the function app.')
output defaultHostName string = app.properties.defaultHostName

@description('Base URL VM agents use to reach the app.')
output publicBaseUrl string = empty(publicBaseUrl) ? 'https://${app.properties.defaultHostName}' : publicBaseUrl
