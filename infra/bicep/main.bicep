// vm-journal on Azure: one resource group with storage, monitoring, a user-assigned identity and a
// Flex Consumption function app, plus a least-privilege custom role in the VM subscription that lets
// the app create and delete VMs there. Deploy with `azd up` or `az deployment sub create` (infra/README.md).
targetScope = 'subscription'

@description('Required. Environment name (azd sets AZURE_ENV_NAME); names and tags derive from it.')
@minLength(1)
@maxLength(40)
param environmentName string

@description('Required. Azure region of the app\'s resources (must offer Flex Consumption).')
@minLength(1)
param location string

@description('Optional. Name of the app\'s resource group; empty derives one from the environment name.')
param resourceGroupName string = ''

@description('Optional. Subscription the VMs are created in; empty uses the deployment subscription.')
param vmSubscriptionId string = ''

@description('Optional. Default region for new VMs; empty uses the app\'s region.')
param vmDefaultRegion string = ''

@description('Optional. Prefix of the resource group created for each VM.')
@minLength(1)
@maxLength(40)
param vmResourceGroupPrefix string = 'vmj-'

@description('Optional. CIDR allowed to reach VMs over SSH (for example 203.0.113.4/32); empty opens no SSH port.')
param vmSshSourceCidr string = ''

@description('Optional. SSH public key (OpenSSH format) used when a create request has none.')
param vmDefaultSshPublicKey string = ''

@description('Optional. Base URL VM agents reach the app at (a custom domain); empty uses the app\'s default host name.')
param publicBaseUrl string = ''

@description('Optional. Storage queue the HTTP functions put VM commands on (failed ones go to `<name>-poison`, so at most 56 characters).')
@minLength(3)
@maxLength(56)
param commandQueueName string = 'vm-commands'

@description('Optional. Days journal entries are kept.')
@minValue(1)
@maxValue(3650)
param journalRetentionDays int = 30

@description('Optional. Days lifecycle events are kept.')
@minValue(1)
@maxValue(3650)
param eventsRetentionDays int = 30

@description('Optional. Node.js major version of the function app: 22 (Node 20 reached end of life on 2026-04-30).')
@allowed([
  '22'
])
param nodeVersion string = '22'

@description('Optional. Memory of each function app instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Maximum number of function app instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Tags added to every resource.')
param tags object = {}

@description('Optional. Entra ID app registration (client ID) that puts the web console and the management API behind App Service Authentication; empty (the default) leaves it off. Agents\' ingest routes stay open (infra/README.md).')
param consoleAuthClientId string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, { 'azd-env-name': environmentName })
var appName = '${abbrs.webSitesFunctions}${resourceToken}'
var effectiveVmSubscriptionId = empty(vmSubscriptionId) ? subscription().subscriptionId : vmSubscriptionId

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? '${abbrs.resourcesResourceGroups}${environmentName}' : resourceGroupName
  location: location
  tags: allTags
}

module identity 'modules/identity.bicep' = {
  scope: rg
  name: 'identity'
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  scope: rg
  name: 'storage'
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    deploymentContainerName: 'app-package-${take(appName, 32)}'
    dataPrincipalIds: [
      identity.outputs.principalId
    ]
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  scope: rg
  name: 'monitoring'
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    publisherPrincipalIds: [
      identity.outputs.principalId
    ]
    tags: allTags
  }
}

module provisioningRole 'modules/provisioning-role.bicep' = {
  scope: subscription(effectiveVmSubscriptionId)
  name: 'provisioning-role-${resourceToken}'
  params: {
    environmentName: environmentName
    principalIds: [
      identity.outputs.principalId
    ]
  }
}

module functionApp 'modules/function-app.bicep' = {
  scope: rg
  name: 'function-app'
  params: {
    name: appName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    identityResourceId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    nodeVersion: nodeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    vmSubscriptionId: effectiveVmSubscriptionId
    vmDefaultRegion: empty(vmDefaultRegion) ? location : vmDefaultRegion
    vmResourceGroupPrefix: vmResourceGroupPrefix
    vmSshSourceCidr: vmSshSourceCidr
    vmDefaultSshPublicKey: vmDefaultSshPublicKey
    publicBaseUrl: publicBaseUrl
    commandQueueName: commandQueueName
    journalRetentionDays: journalRetentionDays
    eventsRetentionDays: eventsRetentionDays
    tags: allTags
  }
  // The app must not start before it may read its storage and call ARM.
  dependsOn: [
    provisioningRole
  ]
}

// Optional sign-in with Entra ID in front of the console and the management API (off by default).
module consoleAuth 'modules/console-auth.bicep' = {
  scope: rg
  name: 'console-auth'
  params: {
    functionAppName: functionApp.outputs.name
    clientId: consoleAuthClientId
  }
}

@description('Region of the app\'s resources (azd reads AZURE_LOCATION).')
output AZURE_LOCATION string = location

@description('Tenant of the deployment.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Name of the app\'s resource group.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Name of the function app (for `func azure functionapp publish`).')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Base URL of the app; the API is under /api.')
output SERVICE_API_URI string = functionApp.outputs.publicBaseUrl

@description('Client id of the app\'s managed identity.')
output AZURE_CLIENT_ID string = identity.outputs.clientId

@description('Subscription the VMs are created in.')
output VM_SUBSCRIPTION_ID string = effectiveVmSubscriptionId

@description('Resource id of the custom provisioning role.')
output PROVISIONING_ROLE_ID string = provisioningRole.outputs.roleDefinitionId

@description('Name of the storage account.')
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
