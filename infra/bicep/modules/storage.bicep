// The app's storage account: blobs (deployment package, host leases), queues (command queue, Durable
// work items) and tables (VM records, journals, events, Durable history). Shared keys are off, so
// every client, the Functions host included, authenticates with the managed identity.

@description('Required. Globally unique storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region of the account.')
param location string

@description('Required. Blob container that Flex Consumption deploys the app package to.')
param deploymentContainerName string

@description('Required. Principal ids (managed identities) that get the blob, queue and table data roles.')
param dataPrincipalIds array

@description('Optional. Tags applied to the account.')
param tags object = {}

// Built-in roles the Functions host and Durable need with identity-based storage: Blob Data Owner for
// host leases and the deployment container, Queue and Table Data Contributor for triggers, Durable
// and the app's own tables.
var dataRoleIds = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
]

var grants = flatten(map(dataPrincipalIds, principalId => map(dataRoleIds, roleId => {
  principalId: principalId
  roleId: roleId
})))

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource dataRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in grants: {
    name: guid(account.id, grant.principalId, grant.roleId)
    scope: account
    properties: {
      principalId: grant.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', grant.roleId)
    }
  }
]

@description('Name of the storage account.')
output name string = account.name

@description('Blob endpoint of the account, ending in a slash.')
output blobEndpoint string = account.properties.primaryEndpoints.blob

@description('Name of the deployment container.')
output deploymentContainerName string = deploymentContainer.name

@description('Queue service resource id (queues are enabled).')
output queueServiceId string = queueService.id

@description('Table service resource id (tables are enabled).')
output tableServiceId string = tableService.id
