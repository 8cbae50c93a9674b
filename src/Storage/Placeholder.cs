namespace UNetPP.Cluster.Storage;
